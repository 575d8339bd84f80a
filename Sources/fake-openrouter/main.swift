// placeholder until the fake server helper writes the real entry point
