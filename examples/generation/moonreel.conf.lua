-- examples/generation/moonreel.conf.lua — registers the echo provider next to the built-in draft one.
return {
  providers = {
    default = "draft",
    settings = { echo = { module = "providers.echo", concurrency = 2 } },
  },
}
