from gatecore.cli.main import main

raise SystemExit(main())
