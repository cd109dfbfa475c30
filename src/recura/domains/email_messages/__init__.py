"""email_messages: the emails events called for, as recorded and sent, for operators to read"""
