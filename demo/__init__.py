"""Offline stand-ins for the pipeline's outside world: a CNEMC feed server, an SMTP sink and a data generator.

They exist so the demo and the integration tests run the production download, validation and alerting code
against real sockets and real file formats, without the internet or a mail server. Production code never
imports this package; tests and the benchmark may.
"""
