"""JMA disaster-information XML schemas (気象庁防災情報XML, jmx*.xsd) and the region tables its reader uses."""
