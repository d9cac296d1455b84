"""The ``s3://`` state store URL, read one way by ``validate`` (which checks its endpoint offline) and by the
store itself: ``s3://BUCKET/PREFIX?endpoint=URL&region=ID``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

#: The options an ``s3://`` URL may carry.
S3_OPTIONS = ("endpoint", "region")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending in "/"
    options: dict[str, str]


def s3_options(url: str) -> dict[str, str] | None:
    """The options of an ``s3://`` URL (the last value of each, blank ones kept), or None for another URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != "s3":
        return None
    return {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}


def parse_s3(url: str) -> S3Location:
    """Bucket, prefix and options of an ``s3://`` store URL; ValueError (one line, naming it) otherwise."""
    options = s3_options(url)
    parts = urlsplit(url) if options is not None else None
    if parts is None or options is None or not parts.netloc:
        raise ValueError(f"{url}: an s3://BUCKET/PREFIX URL expected")
    unknown = sorted(set(options) - set(S3_OPTIONS))
    if unknown:
        raise ValueError(f"s3://{parts.netloc}{parts.path}: unknown option {', '.join(unknown)} "
                         f"({', '.join(S3_OPTIONS)})")
    prefix = parts.path.strip("/")
    return S3Location(parts.netloc, prefix + "/" if prefix else "", options)
