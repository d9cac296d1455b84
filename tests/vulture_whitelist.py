"""Names vulture reports as unused that something outside our code reads (see [tool.vulture]).

Each entry says who reads it. Only hooks and attributes of other libraries and of Python itself belong here;
names our own code reaches by reflection are added by tests/unit/test_dead_code.py from the registries.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# PEP 562: a package's lazy attributes (reconciler.client, .config, .engine); Python calls them.
_.__getattr__
_.__dir__

# http.server / socketserver: class attributes and hooks the standard library reads and calls (the emulator's
# server, the tests' local HTTP servers and proxies).
_.daemon_threads
_.allow_reuse_address
_.address_family
_.protocol_version
_.disable_nagle_algorithm
_.server_version
_.sys_version
_.close_connection
_.log_message
_.send_error
_.explain  # send_error's parameter: the stdlib's signature, passed by keyword
_.do_GET
_.do_POST
_.do_HEAD
_.do_PUT  # the emulator's object storage: the Flow JSON upload

# html.parser.HTMLParser's callbacks (the Markdown review test's HTML reader).
_.handle_starttag
_.handle_endtag
_.handle_data

# alibabacloud_oss_v2.config.Config: fields the OSS SDK's client reads (the Flow JSON upload and its test).
_.credentials_provider
_.readwrite_timeout
_.signature_version
_.retry_max_attempts

# logging.LogRecord: the formatter reads exc_text (cleared with exc_info so no traceback is printed).
_.exc_text
# ruamel.yaml's YAML: preserve_quotes is read by its loader (fmt keeps quoting).
_.preserve_quotes
# shlex.shlex: whitespace_split is read by the lexer (the workflow lint's tokens).
_.whitespace_split

# pytest: it reads a module's pytestmark, and passes a fixture requested only for its effect by the parameter's
# name (tests/conftest.py's demo_credentials, asked for by fixtures, which cannot take usefixtures).
_.pytestmark
_.demo_credentials
