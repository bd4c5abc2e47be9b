DROP FUNCTION IF EXISTS app.set_request_context(text, text, text, integer, text, text);
