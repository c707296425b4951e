"""Notifications: each user's inbox pushed live (Server-Sent Events), and merchants'
outbound webhooks from a transactional outbox. The calls other domains make are in
``relaycode.notify.service``."""
