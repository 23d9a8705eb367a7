"""The demo shop: a running-shoe store's help centre, customers and orders."""
