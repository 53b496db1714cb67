"""What the tests share besides fixtures (those are in tests/conftest.py).

factories  the people and demonstrations of the stories: ``make_user``, ``event_fields``,
           ``march_fields``, ``api_client_for``, ``PASSWORD``
accounts   logging people in with their second factor, API tokens, TOTP codes
ws         WebSocket communicators, session cookies, ``receive_until``
zones      zones and sensitive sites, shapes, ``iso``
logs       the after-action log behind the application's back (triggers off, tampering)
review     a demonstration's whole life for the review stories (``concluded_story``)
public     demonstrations as the public page shows them
markup     markup typed into every field
pages      a demonstration's page as a person sees it, and the configuration it embeds
pdf        the text of a PDF
liveclient a scripted live-channel client that resumes (integration tests)
"""
