--liquibase formatted sql

--changeset mgw:0002-daily-usage
--comment: One row per key and UTC day, charged by one conditional upsert per accepted message.
CREATE TABLE daily_usage (
    api_key_id uuid    NOT NULL REFERENCES api_keys (id),
    date       date    NOT NULL,
    count      integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (api_key_id, date)
);
--rollback DROP TABLE daily_usage;
