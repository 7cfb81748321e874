"""Reports built from the workshop's records, in the files funders and managers ask for."""
