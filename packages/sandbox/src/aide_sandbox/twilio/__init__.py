"""Twilio emulator: Programmable Messaging (2010-04-01 Messages), Lookup v2, and a steppable delivery simulator
that signs its status callbacks and inbound webhooks."""
