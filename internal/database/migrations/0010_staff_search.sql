-- Staff search (issue 10): search_text holds the searchable fields of a
-- person — employee number, name, kana and mail — each folded by
-- jp.SearchText (NFKC, hiragana and half-width kana as katakana, lower case,
-- spaces removed), so that 「田中 亮」「田中　亮」「田中亮」, 「たなか」 and
-- 「ﾀﾅｶ」 all find 田中　亮. The folding cannot be written in SQL, so rows
-- that exist before this migration keep '' here and the organisation
-- service fills them in Go before the next search (org.Service.indexStaff);
-- every writer of staff (the staff form, the roster import, the demo) sets
-- it. The partial index makes "is any row still unindexed?" a cheap check;
-- staff_kana serves the list sorted by reading (氏名（カナ順）).

ALTER TABLE staff ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX staff_search_pending ON staff (id) WHERE search_text = '';
CREATE INDEX staff_kana ON staff (kana);
