"""A test hook, off by default: die like kill -9 between storing a claim's slot and publishing its outcome.

Set ``ASSIGNMENT_SERVICE_TEST_CRASH_BEFORE_PUBLISH_EMAIL`` to an address; the first
batch whose outcomes include a claim of that address ends the process with
``os._exit`` (no cleanup, no flush) instead of publishing — after a moment, so that
the HTTP answers given before publishing go out. The janitor test uses it to leave
a claim that won its slot and was answered, but was never published.
"""

import asyncio
import logging
import os
from collections.abc import Sequence

from assignment_service.domain.model import Outcome
from assignment_service.service_layer.ports import OutcomePublisher

log = logging.getLogger(__name__)

CRASH_EXIT_CODE = 70
# Long enough for the event loop to write the answers already decided (a few callbacks).
ANSWERS_OUT_SECONDS = 0.5


class CrashBeforePublish:
    def __init__(self, publisher: OutcomePublisher, email: str) -> None:
        self._publisher = publisher
        self._email = email.lower()

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        if any(o.email == self._email for o in outcomes):
            log.warning("test hook: exiting before publishing the outcome for %s", self._email)
            await asyncio.sleep(ANSWERS_OUT_SECONDS)
            os._exit(CRASH_EXIT_CODE)
        await self._publisher.publish(outcomes)
