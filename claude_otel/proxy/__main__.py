import sys

from claude_otel.proxy.cli import main

sys.exit(main())
