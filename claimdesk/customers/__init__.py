"""The customer archive (客户档案): customers and their vehicles."""
