-- models/isnet.lua — ISNet background removal ("medium", from @imgly/background-removal-data@1.4.5).
-- The package is AGPL-3.0; its third-party notice lists the ISNet weights as MIT. Never pulled by
-- `make models` or `models pull --all` (source.explicit): only by `moonreel models pull isnet`,
-- which prints the licence. When present, background removal uses it (method "isnet");
-- otherwise the GrabCut fallback answers.
return {
  name = "isnet", task = "matte", license = "AGPL-3.0 package; ISNet weights MIT (per its notice)",
  description = "ISNet salient-object matte at 1024x1024, resized back to the source",
  input = { range = 255, mean = 128, std = 256, size = { 1024, 1024 }, channels = "rgb" },
  output = { kind = "matte", range = 1 },
  fp16 = false,
  source = { npm = "@imgly/background-removal-data", version = "1.4.5",
             sha256 = "ca7789abb39370727c9a098310b53bce41518d200000423c7107f8c01bbce946",
             format = "onnx_graph", path = "package", variant = "medium", explicit = true },
}
