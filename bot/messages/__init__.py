"""What seatbot says: templates rendered per locale, wrapped in Block Kit by small builders."""
