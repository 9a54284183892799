-- 002_media_board.sql — the media board: sheets of cards in grid order, soft delete, bounded undo history.
CREATE TABLE sheets (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  description TEXT,
  columns     INTEGER NOT NULL DEFAULT 4,
  is_default  INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX sheets_one_default ON sheets(is_default) WHERE is_default = 1;

CREATE TABLE cards (
  id         TEXT PRIMARY KEY,
  sheet_id   TEXT NOT NULL REFERENCES sheets(id) ON DELETE CASCADE,
  position   INTEGER NOT NULL DEFAULT 0,
  title      TEXT NOT NULL DEFAULT '',
  note       TEXT NOT NULL DEFAULT '',
  media_type TEXT NOT NULL DEFAULT 'none',   -- none | image | video
  media_url  TEXT,
  thumb_url  TEXT,
  width      INTEGER,
  height     INTEGER,
  duration   REAL,
  metadata   TEXT NOT NULL DEFAULT '{}',
  deleted_at TEXT,                          -- soft delete: restorable until collected
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX cards_sheet ON cards(sheet_id, position);

-- One row per undoable operation: `undo` holds the inverse steps as JSON.
CREATE TABLE sheet_history (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  sheet_id   TEXT NOT NULL REFERENCES sheets(id) ON DELETE CASCADE,
  op         TEXT NOT NULL,
  undo       TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX sheet_history_sheet ON sheet_history(sheet_id, seq);
