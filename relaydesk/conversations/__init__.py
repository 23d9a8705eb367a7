"""Customers, conversations and their append-only event logs."""
