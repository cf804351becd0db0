module mapsleuth/scripts/goconsts

go 1.19
