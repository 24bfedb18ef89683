import sys

from larq_bcd.cli import main

sys.exit(main())
