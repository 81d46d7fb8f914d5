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

from seqbench.errors import ConfigError

ANSWER_SECONDS = 5.0  # how long a W&B server may take to answer before training goes offline
MODES = ("online", "offline", "disabled", "shared", "dryrun", "run")  # wandb's own
SERVER_MODES = ("online", "shared", "run")  # the modes that talk to a server from the start


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


def env_mode() -> str | None:
    """WANDB_MODE as set; an empty value counts as unset (wandb itself rejects it)."""
    return os.environ.get("WANDB_MODE") or None


def unanswered(source: str) -> ConfigError:
    """``source`` (WANDB_MODE=online or logger.wandb.mode=online) with no server answering."""
    fix = "unset WANDB_MODE" if source.startswith("WANDB_MODE") else "set logger.wandb.mode=auto"
    return ConfigError(
        f"{source} but the W&B server {base_url()} does not answer within "
        f"{ANSWER_SECONDS:.0f} s; {fix} to log offline (`wandb sync` later)"
    )


def check_mode(node_mode: object) -> None:
    """Refuse, before a run starts, a W&B mode wandb would reject with a traceback, and a mode
    that talks to a server no one answers at (``logger.wandb.mode`` wins over WANDB_MODE,
    as in wandb.init). ``auto`` never refuses: it goes offline with a warning."""
    chosen = env_mode()
    if chosen is not None and chosen not in MODES:
        raise ConfigError(
            f"WANDB_MODE={chosen!r} is not a W&B mode; valid modes: {', '.join(MODES[:3])} "
            "(or unset it: online with credentials, else offline)"
        )
    if node_mode not in ("auto", *MODES):
        raise ConfigError(
            f"logger.wandb.mode={node_mode!r} is not valid; valid choices: auto, "
            f"{', '.join(MODES[:3])}"
        )
    if node_mode != "auto":
        mode, source = str(node_mode), f"logger.wandb.mode={node_mode}"
    else:
        mode, source = chosen, f"WANDB_MODE={chosen}"
    if mode in SERVER_MODES and not answers(base_url()):
        raise unanswered(source)
