module example.com/mapcrash

go 1.19
