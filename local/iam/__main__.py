import sys

from jobdeck_local.iam.report import main

sys.exit(main())
