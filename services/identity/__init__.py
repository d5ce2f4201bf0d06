"""Identity: the user directory, the sessions and, locally, the OpenID Connect issuer."""
