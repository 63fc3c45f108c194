"""Technical indicators for Dhaka Stock Exchange prices, computed in PostgreSQL by dbt."""

__version__ = "0.1.0"
