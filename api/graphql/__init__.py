"""The GraphQL API: schema split by domain (customers, models, steward) and merged."""
