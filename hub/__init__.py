"""The regional hub (issue 12): ingests the boxes' signed reports and shows analysts every site side by side.

Its own Flask app in the same distribution, installed as contactpoint.hub with the optional extra `hub`
(SQLAlchemy, Alembic, psycopg): a server runs it, never a box. docs/hub.md."""
