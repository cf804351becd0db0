module hashvectors

go 1.22
