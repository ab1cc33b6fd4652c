"""The bureau's batch work: rosters, ledgers, distributing, collecting, the database and summaries."""
