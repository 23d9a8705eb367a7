"""Channels: adapters that turn a customer's message on some channel into one inbound message.

``widget`` is the web chat: a public API for customers' browsers, its script and a demo page.
"""
