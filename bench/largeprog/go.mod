module mapsleuth/bench/largeprog

go 1.22
