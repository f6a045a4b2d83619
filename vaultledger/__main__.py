from vaultledger.cli import main

main()
