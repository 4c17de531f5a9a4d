ALTER TABLE messages SET (fillfactor = 60);
