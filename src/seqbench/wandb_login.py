"""Whether W&B has credentials it would use without prompting. Training picks online or
offline logging from it and `seqbench report --wandb` refuses to publish without it, so
both must see the same login: WANDB_API_KEY, or a netrc entry for the W&B host (NETRC
names another netrc file, WANDB_BASE_URL another host, as for wandb itself)."""

import netrc
import os
import threading
import urllib.error
import urllib.request
from urllib.parse import urlparse

ANSWER_SECONDS = 5.0  # how long a W&B server may take to answer before training goes offline


def base_url() -> str:
    return os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai").rstrip("/")


def logged_in() -> bool:
    """Credentials W&B would use without prompting: WANDB_API_KEY or a netrc entry."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(base_url()).hostname or ""
    try:
        return bool(netrc.netrc(os.environ.get("NETRC")).authenticators(host))
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False


def answers(url: str, seconds: float = ANSWER_SECONDS) -> bool:
    """Whether an HTTP server answers at ``url`` within ``seconds`` (any status counts),
    name lookup included: W&B itself would wait 90 s before failing with a traceback."""
    answered: list[bool] = []

    def ask() -> None:
        try:
            urllib.request.urlopen(url, timeout=seconds).close()
            answered.append(True)
        except urllib.error.HTTPError:
            answered.append(True)
        except (OSError, ValueError):
            pass

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(seconds)
    return bool(answered)
