"""What a Lambda container keeps between invocations, and the one way to forget all of it.

A fresh container reads its settings, creates its AWS clients and starts its buffers and caches
anew; tests, the benchmarks and the operator CLI reuse one process for many "containers" and call
reset_container_state() where a new one would start. Per-container state added to the package
is forgotten here.
"""

from __future__ import annotations


def reset_container_state() -> None:
    """Forget settings, AWS clients and credentials, the forwarding key, buffered pre-auth counts and cached tokens,
    as a new container would."""
    # Imported here: harnesses import this module before they set the environment the package's
    # logger and metrics read when they are created.
    import gc

    from logister_common.admission import pipeline
    from logister_common.runtime.settings import get_settings
    from logister_common.storage import api_key_parameter, clients

    gc.unfreeze()  # what the last "container" froze at its initialization: collectable again
    get_settings.cache_clear()
    clients.forget_all()
    api_key_parameter.api_key.cache_clear()
    pipeline.start_fresh()
