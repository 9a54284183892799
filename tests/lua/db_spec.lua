-- db_spec.lua — `moonreel.db` as Lua code sees it: rows, parameters, transactions, errors.
-- Runs against <data>/moonreel.db (the default when nothing configured the db), so
-- every test starts by recreating its own table.
local db = require("moonreel.db")
local json = require("moonreel.json")

local function count()
  return db.query_one("SELECT COUNT(*) AS n FROM spec_items").n
end

describe("moonreel.db", function()
  before_each(function()
    db.exec("DROP TABLE IF EXISTS spec_items")
    db.exec("CREATE TABLE spec_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, size REAL, note TEXT)")
  end)

  describe("db.path()", function()
    it("names the database file under the data folder", function()
      assert.truthy(db.path():find("moonreel.db", 1, true))
    end)
  end)

  describe("db.exec()", function()
    it("returns the changed row count and the last inserted id", function()
      local changes, id = db.exec("INSERT INTO spec_items (name) VALUES (?)", "a")
      assert.equal(1, changes)
      assert.equal(1, id)
      db.exec("INSERT INTO spec_items (name) VALUES (?)", "b")
      assert.equal(2, (db.exec("UPDATE spec_items SET size = ?", 2)))
    end)

    it("reports no changes for statements that change no rows", function()
      assert.equal(0, (db.exec("CREATE TABLE IF NOT EXISTS spec_items (x)")))
    end)
  end)

  describe("db.query()", function()
    it("returns rows as tables, in a list that encodes as a JSON array", function()
      db.exec("INSERT INTO spec_items (name, size) VALUES (?, ?)", "a", 1.5)
      db.exec("INSERT INTO spec_items (name) VALUES (?)", "b")
      local rows = db.query("SELECT name, size FROM spec_items ORDER BY name")
      assert.equal(2, #rows)
      assert.equal("a", rows[1].name)
      assert.equal(1.5, rows[1].size)
      assert.equal('[{"name":"a","size":1.5},{"name":"b","size":null}]', json.encode(rows))
    end)

    it("returns an empty list that encodes as []", function()
      assert.equal("[]", json.encode(db.query("SELECT * FROM spec_items")))
    end)

    it("reads SQL NULL as json.null, so the key is still there", function()
      db.exec("INSERT INTO spec_items (name, note) VALUES (?, ?)", "a", nil)
      local row = db.query_one("SELECT note FROM spec_items")
      assert.equal(json.null, row.note)
    end)
  end)

  describe("db.query_one()", function()
    it("returns the first row, or nil when there is none", function()
      db.exec("INSERT INTO spec_items (name) VALUES ('a')")
      db.exec("INSERT INTO spec_items (name) VALUES ('b')")
      assert.equal("b", db.query_one("SELECT name FROM spec_items ORDER BY name DESC").name)
      assert.is_nil(db.query_one("SELECT name FROM spec_items WHERE name = ?", "zzz"))
    end)
  end)

  describe("parameters", function()
    it("bind nil and json.null as NULL, booleans as 1 and 0", function()
      local row = db.query_one("SELECT ? IS NULL AS a, ? IS NULL AS b, ? AS t, ? AS f", nil, json.null, true, false)
      assert.same({ a = 1, b = 1, t = 1, f = 0 }, { a = row.a, b = row.b, t = row.t, f = row.f })
    end)

    it("bind integral numbers as INTEGER and the rest as REAL", function()
      local row = db.query_one("SELECT typeof(?) AS i, typeof(?) AS r", 42, 0.5)
      assert.equal("integer", row.i)
      assert.equal("real", row.r)
    end)

    it("are values, never SQL", function()
      local evil = "x'); DROP TABLE spec_items; --"
      db.exec("INSERT INTO spec_items (name) VALUES (?)", evil)
      assert.equal(evil, db.query_one("SELECT name FROM spec_items").name)
    end)

    it("refuse tables with a hint", function()
      assert.error(function() db.query("SELECT ?, ?", 1, { 1, 2 }) end,
                   "db.query: parameter 2 is a table; encode it (json.encode) first")
    end)

    it("must match the placeholders in number", function()
      assert.error(function() db.exec("INSERT INTO spec_items (name) VALUES (?)") end,
                   "0 parameters given, the statement has 1 placeholder")
    end)
  end)

  describe("errors", function()
    it("carry SQLite's message after 'db: '", function()
      db.exec("INSERT INTO spec_items (name) VALUES ('a')")
      assert.error(function() db.exec("INSERT INTO spec_items (name) VALUES ('a')") end,
                   "db: UNIQUE constraint failed: spec_items.name")
      assert.error(function() db.query("SELECT * FROM no_such_table") end, "db: no such table: no_such_table")
    end)

    it("refuse a second statement in one call", function()
      assert.error(function() db.exec("DELETE FROM spec_items; DROP TABLE spec_items") end,
                   "only one SQL statement per call")
    end)

    it("refuse transaction control in SQL", function()
      assert.error(function() db.exec("BEGIN") end, "use db.tx(fn)")
    end)
  end)

  describe("db.tx()", function()
    it("commits and returns fn's results", function()
      local a, b = db.tx(function()
        db.exec("INSERT INTO spec_items (name) VALUES ('a')")
        return "done", 2
      end)
      assert.equal("done", a)
      assert.equal(2, b)
      assert.equal(1, count())
    end)

    it("rolls back on error and re-raises the same error value", function()
      local problem = { error = { code = "CONFLICT", message = "taken" } }
      local ok, err = pcall(db.tx, function()
        db.exec("INSERT INTO spec_items (name) VALUES ('a')")
        error(problem)
      end)
      assert.falsy(ok)
      assert.equal(problem, err)
      assert.equal(0, count())
    end)

    it("rolls back earlier statements when a later one fails", function()
      assert.error(function()
        db.tx(function()
          db.exec("INSERT INTO spec_items (name) VALUES ('a')")
          db.exec("INSERT INTO spec_items (name) VALUES ('a')")
        end)
      end, "UNIQUE constraint failed")
      assert.equal(0, count())
    end)

    it("nests as savepoints: an inner failure undoes only the inner work", function()
      db.tx(function()
        db.exec("INSERT INTO spec_items (name) VALUES ('outer')")
        local ok = pcall(db.tx, function()
          db.exec("INSERT INTO spec_items (name) VALUES ('inner')")
          error("inner failed")
        end)
        assert.falsy(ok)
      end)
      local names = {}
      for _, r in ipairs(db.query("SELECT name FROM spec_items ORDER BY name")) do names[#names + 1] = r.name end
      assert.same({ "outer" }, names)
    end)
  end)
end)
