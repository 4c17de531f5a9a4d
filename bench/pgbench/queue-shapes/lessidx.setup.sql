-- Without the three indexes only paging and retention use (the delivery lifecycle never reads them).
DROP INDEX messages_key_page;
DROP INDEX messages_finished;
DROP INDEX messages_bodies_kept;
