-- The event log as a stream (issue: change notifications): commit times
-- precise enough to measure delivery latency, and what retention dropped.

ALTER TABLE events ADD COLUMN at_us INTEGER NOT NULL DEFAULT 0;  -- unix µs
UPDATE events SET at_us = at * 1000000;

-- Single-row facts about the log. pruned_through: the highest sequence
-- number retention has removed (0: nothing ever removed).
CREATE TABLE log_state (
  key           TEXT PRIMARY KEY,
  value         INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO log_state(key, value) VALUES ('pruned_through', 0);

CREATE INDEX events_by_time ON events(at_us);
