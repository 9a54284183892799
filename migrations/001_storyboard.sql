-- 001_storyboard.sql — the storyboard domain: projects, scenes, clips, characters, style templates.
-- Ids are ULIDs (sortable); times are ISO-8601 UTC text; lists and maps are JSON text.
CREATE TABLE projects (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  description TEXT,
  music_file  TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE characters (
  id               TEXT PRIMARY KEY,
  project_id       TEXT REFERENCES projects(id) ON DELETE CASCADE,
  name             TEXT NOT NULL,
  description      TEXT NOT NULL DEFAULT '',
  reference_images TEXT NOT NULL DEFAULT '[]',
  lora             TEXT,
  trigger_words    TEXT NOT NULL DEFAULT '[]',
  style_notes      TEXT NOT NULL DEFAULT '',
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX characters_project ON characters(project_id);

CREATE TABLE scenes (
  id               TEXT PRIMARY KEY,
  project_id       TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name             TEXT NOT NULL,
  description      TEXT,
  "order"          INTEGER NOT NULL DEFAULT 0,
  parent_scene_id  TEXT REFERENCES scenes(id) ON DELETE CASCADE,
  alternate_number INTEGER NOT NULL DEFAULT 0,
  is_alternate     INTEGER NOT NULL DEFAULT 0,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX scenes_project ON scenes(project_id, "order");

CREATE TABLE clips (
  id                TEXT PRIMARY KEY,
  scene_id          TEXT NOT NULL REFERENCES scenes(id) ON DELETE CASCADE,
  name              TEXT NOT NULL,
  lyrics            TEXT,
  image_prompt      TEXT NOT NULL DEFAULT '',
  video_prompt      TEXT NOT NULL DEFAULT '',
  timeline_position REAL NOT NULL DEFAULT 0,
  length            REAL NOT NULL DEFAULT 1,
  character_id      TEXT REFERENCES characters(id) ON DELETE SET NULL,
  parent_clip_id    TEXT REFERENCES clips(id) ON DELETE CASCADE,
  alternate_number  INTEGER NOT NULL DEFAULT 0,
  is_alternate      INTEGER NOT NULL DEFAULT 0,
  generated_images  TEXT NOT NULL DEFAULT '[]',
  generated_videos  TEXT NOT NULL DEFAULT '[]',
  selected_image    TEXT,
  selected_video    TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);
CREATE INDEX clips_scene ON clips(scene_id, timeline_position);

CREATE TABLE style_templates (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL,
  description        TEXT,
  prompt_prefix      TEXT NOT NULL DEFAULT '',
  prompt_suffix      TEXT NOT NULL DEFAULT '',
  negative_prompt    TEXT NOT NULL DEFAULT '',
  default_parameters TEXT NOT NULL DEFAULT '{}',
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL
);
