-- credit_accounts is the ledger's running sum: only the credit_ledger trigger may write it, so
-- "balance = sum of the ledger" cannot be broken by hand (a correction is a ledger entry).
CREATE OR REPLACE FUNCTION credit_accounts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Depth 1 is a statement on credit_accounts itself; the ledger trigger's writes run at depth 2.
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'credit_accounts is maintained by credit_ledger: add a ledger entry instead of this %', TG_OP;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER credit_accounts_guard BEFORE INSERT OR UPDATE OR DELETE ON credit_accounts
  FOR EACH ROW EXECUTE FUNCTION credit_accounts_guard();

CREATE OR REPLACE TRIGGER credit_accounts_no_truncate BEFORE TRUNCATE ON credit_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION credit_accounts_guard();
