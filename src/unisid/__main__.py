from unisid.cli import main

main()
