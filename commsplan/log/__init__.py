"""The completion log: records (one encoder/decoder), the file back end, its SQLite index, and
the folding of records into state. Commands use ``commsplan.log.book.Logbook``."""
