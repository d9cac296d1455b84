"""The defaults the command line names in its ``--help``, held where a parser can read them without
importing the client or the engine (this module imports nothing): each is defined here once, and the module
that uses it (``client.endpoints``, ``client.credentials``, ``client.ratelimit``, ``engine.journal``) imports
it from here. ``benchmarks/startup.py`` measures what that buys: a command's ``--help`` in under 3 × a bare
interpreter's start.
"""

DEFAULT_ACCOUNT = "default"  # the account of a space that names none: declared under this name, or the ambient credentials
DEFAULT_REGION = "ap-southeast-1"  # CAMS is served from one region
ENDPOINT_ENV = "CAMS_RECONCILER_ENDPOINT"  # one base URL for every API
ENV_PROFILE = "ALIBABA_CLOUD_PROFILE"  # the aliyun CLI profile when no key variable is set
DEFAULT_QPS = 10.0  # the documented rate per account and API action (requests per second)
JOURNAL_PATH = ".cams-reconciler/journal.json"  # what earlier applies left unfinished
