-- 003_slates.sql — slate cards rendered for clips with no picture (exports), one per clip, cached by content.
CREATE TABLE slates (
  clip_id      TEXT PRIMARY KEY REFERENCES clips(id) ON DELETE CASCADE,
  content_hash TEXT NOT NULL,
  url          TEXT NOT NULL,
  width        INTEGER NOT NULL,
  height       INTEGER NOT NULL,
  created_at   TEXT NOT NULL
);
