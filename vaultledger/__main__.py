from vaultledger.cli import main

if __name__ == "__main__":  # not when a spawned or fork-server worker imports the parent's main module
    main()
