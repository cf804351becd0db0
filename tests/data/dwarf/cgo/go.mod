module example.com/cgofixture

go 1.19
