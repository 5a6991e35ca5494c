-- Records as they were imported: matching compares the normalised values ("john smith"), but a
-- reviewer reads "John Smith". `original` holds, as a JSON object, only the columns whose value as
-- given differs from its normalised one (a FEBRL birth date "19930413" beside "1993-04-13"); NULL
-- when none does. Records stored before this migration have none: they show normalised.
ALTER TABLE empi_records ADD COLUMN original TEXT;

-- The review queue: open potential matches by probability, either way.
CREATE INDEX empi_potential_matches_queue
  ON empi_potential_matches (status, max_match_probability, id);
