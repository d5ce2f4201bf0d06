"""Running the platform locally: the embedded broker and database, and the service processes."""
