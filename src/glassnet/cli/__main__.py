import sys

from glassnet.cli.main import main

sys.exit(main())
