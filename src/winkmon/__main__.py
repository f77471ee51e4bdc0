import sys

from winkmon.cli import main

sys.exit(main())
